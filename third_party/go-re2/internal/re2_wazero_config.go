package internal

const defaultMaxPages = uint32(65536)
