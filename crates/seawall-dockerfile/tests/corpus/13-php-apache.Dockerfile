FROM php:8.3-apache
RUN apt-get update && apt-get install -y libzip-dev zip \
  && docker-php-ext-install zip pdo_mysql
ENV DB_PASSWORD=supersecret123
ENV APP_ENV=production
COPY . /var/www/html/
RUN chown -R www-data:www-data /var/www/html && chmod -R 777 /var/www/html/storage
