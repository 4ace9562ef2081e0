# The Veche image used by docker-compose.yml: the server with PostgreSQL and Redis support
# and the browser app's bundle. Build: docker-compose build (or docker build -t veche .).

FROM node:20-bookworm-slim AS web
WORKDIR /src/client/web
COPY client/web/package.json client/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY client/web/ ./
RUN node build.mjs

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY crdt/ crdt/
COPY storage/ storage/
COPY client/ client/
COPY server/ server/
RUN pip install --no-cache-dir ".[postgres,redis,speed]" \
    && useradd --system --home /app veche
COPY --from=web /src/client/web/dist /app/web
ENV VECHE_HOST=0.0.0.0 VECHE_PORT=8000 VECHE_WEB_DIR=/app/web
USER veche
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"]
CMD ["veche", "serve"]
