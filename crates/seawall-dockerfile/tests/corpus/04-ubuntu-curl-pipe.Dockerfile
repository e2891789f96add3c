FROM ubuntu:latest
RUN apt-get update
RUN apt-get install -y curl git build-essential
RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
RUN apt-get install -y nodejs
RUN cd /opt && git clone https://github.com/example/app.git
WORKDIR /opt/app
RUN npm ci
CMD ["node", "server.js"]
