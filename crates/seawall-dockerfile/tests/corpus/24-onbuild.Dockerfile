FROM python:3.12
ONBUILD COPY requirements.txt /app/
ONBUILD RUN pip install --no-cache-dir -r /app/requirements.txt
ONBUILD ONBUILD RUN echo nested
WORKDIR /app
USER 1000
