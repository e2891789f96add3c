FROM ubuntu:22.04
RUN apt update && apt install -y sudo vim
RUN useradd -m dev && echo "dev ALL=(ALL) NOPASSWD:ALL" >> /etc/sudoers
USER dev
RUN sudo apt-get update && sudo apt-get install -y htop
WORKDIR home/dev
