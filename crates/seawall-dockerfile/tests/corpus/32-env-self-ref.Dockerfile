FROM openjdk:17-slim
ENV JAVA_HOME=/opt/java PATH=$JAVA_HOME/bin:$PATH
ENV APP_HOME=/app
ENV LOG_DIR=$APP_HOME/logs
WORKDIR $APP_HOME
COPY target/app.jar .
USER 1000
CMD ["java", "-jar", "app.jar"]
