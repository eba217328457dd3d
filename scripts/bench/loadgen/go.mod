module shop/loadgen

go 1.22
