FROM centos:7
MAINTAINER ops@example.com
RUN yum install httpd php php-mysql
RUN yum -y update
COPY index.php /var/www/html/
EXPOSE 80
ENTRYPOINT /usr/sbin/httpd -D FOREGROUND
