module fastfuse.example/hello

go 1.19
