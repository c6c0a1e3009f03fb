module github.com/soterdag/soterd

go 1.26
