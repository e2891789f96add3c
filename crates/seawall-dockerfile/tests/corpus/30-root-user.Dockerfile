FROM redis:7.2
USER root
RUN mkdir -p /data/backup && chown redis:redis /data/backup
COPY redis.conf /usr/local/etc/redis/redis.conf
CMD ["redis-server", "/usr/local/etc/redis/redis.conf"]
