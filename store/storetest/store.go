package storetest

var storeTests = []test{}
