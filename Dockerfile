# Crash Reporter app image. The base is written out: the Supervisor no longer passes a default
# BUILD_FROM. base-python ships Python 3.13 on Alpine (musl), s6-overlay v3 as /init, bashio.
ARG BUILD_FROM=ghcr.io/home-assistant/base-python:3.13-alpine3.22
FROM ${BUILD_FROM}

ARG BUILD_VERSION=dev
ARG BUILD_ARCH=amd64
# Where reports go unless the user sets the `dsn` option: the release build passes the
# project's DSN (--build-arg CRASH_REPORTER_DEFAULT_DSN=https://<key>@<host>/<project>). An
# image built without it keeps reports on the device and says so in its panel.
ARG CRASH_REPORTER_DEFAULT_DSN=""

SHELL ["/bin/ash", "-o", "pipefail", "-c"]

ENV \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    CRASH_REPORTER_DEFAULT_DSN="${CRASH_REPORTER_DEFAULT_DSN}"

# Plain pip into the image's Python: the image holds only this app, and the base image's
# Python is built without ensurepip, so a venv would need extra steps for no isolation gain.
# --only-binary=:all: makes every dependency come as a wheel (musllinux or pure Python): no
# compiler in the image, and a missing musl wheel fails the build instead of compiling C.
# tests/test_packaging.py checks those wheels exist for x86_64 and aarch64 and that these
# copied files are all the package needs to install.
WORKDIR /usr/src/crash_reporter
COPY pyproject.toml README.md LICENSE ./
COPY crash_reporter ./crash_reporter
RUN \
    pip3 install --no-cache-dir --only-binary=:all: . \
    && crash-reporter --version \
    && rm -rf /usr/src/crash_reporter

WORKDIR /
COPY rootfs /

LABEL \
    io.hass.type="addon" \
    io.hass.name="Crash Reporter" \
    io.hass.version="${BUILD_VERSION}" \
    io.hass.arch="${BUILD_ARCH}" \
    org.opencontainers.image.title="Crash Reporter" \
    org.opencontainers.image.description="Consent-gated crash reports of the Supervisor and OS-Agent" \
    org.opencontainers.image.version="${BUILD_VERSION}" \
    org.opencontainers.image.licenses="Apache-2.0" \
    org.opencontainers.image.source="https://github.com/home-assistant/crash_reporter" \
    org.opencontainers.image.url="https://github.com/home-assistant/crash_reporter"
