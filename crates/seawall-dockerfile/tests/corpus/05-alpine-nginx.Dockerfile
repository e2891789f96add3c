FROM alpine:3.19
RUN apk update && apk add nginx openssl
COPY nginx.conf /etc/nginx/nginx.conf
COPY site/ /usr/share/nginx/html/
EXPOSE 80 443
CMD ["nginx", "-g", "daemon off;"]
