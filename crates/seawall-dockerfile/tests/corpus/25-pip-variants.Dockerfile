FROM python:3.12-slim
WORKDIR /srv
RUN python -m pip install --upgrade pip && python -m pip install uvicorn fastapi==0.111.0
RUN pip3 install --user httpie
ENV PIP_NO_CACHE_DIR=1
RUN pip install "pydantic>=2" ./localpkg
USER 1000
CMD ["uvicorn", "main:app"]
