FROM node:20-slim
COPY package.json .
COPY src/ ./src/
WORKDIR /app
COPY . .
RUN npm ci --omit=dev
USER node
CMD ["node", "src/index.js"]
