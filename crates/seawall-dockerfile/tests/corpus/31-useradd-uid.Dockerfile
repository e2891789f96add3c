FROM debian:12
RUN useradd -u 1000000 -m builder
RUN useradd -l -u 2000000 -m runner
RUN ln -sf /bin/bash /bin/sh
USER 1000000
