FROM fedora:40
RUN dnf install -y python3-pip gcc && dnf clean all
RUN pip3 install --no-cache-dir requests==2.32.3
RUN useradd -m -u 1001 app
USER 1001
CMD ["python3", "-m", "http.server"]
