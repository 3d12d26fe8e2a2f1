module gotrue-cpp/template-goldens

go 1.19
