FROM opensuse/leap:15.6
RUN zypper refresh && zypper install curl tar gzip
RUN zypper --non-interactive dup
RUN curl -o /tmp/tool.tar.gz https://example.com/tool.tar.gz && tar -xzf /tmp/tool.tar.gz -C /usr/local/bin
USER nobody
