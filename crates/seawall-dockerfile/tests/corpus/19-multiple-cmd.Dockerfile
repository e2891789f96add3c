FROM nginx:1.27
COPY default.conf /etc/nginx/conf.d/default.conf
HEALTHCHECK --interval=30s CMD curl -f http://localhost/ || exit 1
HEALTHCHECK --interval=10s CMD curl -f http://localhost/health || exit 1
CMD ["nginx"]
CMD ["nginx", "-g", "daemon off;"]
ENTRYPOINT ["/docker-entrypoint.sh"]
ENTRYPOINT ["/entry.sh"]
