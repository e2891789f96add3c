FROM golang:1.22
RUN go install github.com/go-delve/delve/cmd/dlv@latest
RUN go install golang.org/x/tools/gopls@v0.16.1 && go install honnef.co/go/tools/cmd/staticcheck
USER 1000
