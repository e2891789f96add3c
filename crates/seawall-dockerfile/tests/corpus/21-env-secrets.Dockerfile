FROM python:3.11-alpine
ARG GITHUB_TOKEN
ARG VERSION=1.0.0
ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
    AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
ENV API_TOKEN_FILE=/run/secrets/api_token
RUN pip install --no-cache-dir "git+https://${GITHUB_TOKEN}@github.com/example/private.git"
USER 1000
