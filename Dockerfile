# sfstub in a small image: build with the Rust toolchain, run as a non-root user.
#
#   docker build -t sfstub .
#   docker run --rm -p 8080:8080 sfstub
#   docker run --rm -p 8080:8080 -v "$PWD/scenarios:/scenarios:ro" \
#       -e SFSTUB_SCENARIO=/scenarios/demo-tre-myndigheder.yaml sfstub
#   docker run --rm -p 8080:8080 -e SFSTUB_SCENARIO=/scenarios/indeks.yaml sfstub
#   docker compose up        # the demo: docker-compose.yml

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY build.rs ./
COPY src ./src
COPY contracts ./contracts
COPY scenarios ./scenarios
RUN cargo build --release --locked && strip target/release/sfstub

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home sfstub \
 && mkdir -p /var/lib/sfstub && chown 10001 /var/lib/sfstub
COPY --from=build /src/target/release/sfstub /usr/local/bin/sfstub
COPY scenarios /scenarios
# The contracts scenarios/indeks.yaml serves (it names them as ../contracts/...).
COPY contracts /contracts
USER 10001
ENV SFSTUB_LISTEN=0.0.0.0:8080
# Keys and certificates; mount a volume here to keep them across runs and to export them
# (docker run ... sfstub certs export /var/lib/sfstub/export).
ENV SFSTUB_STATE_DIR=/var/lib/sfstub
VOLUME /var/lib/sfstub
EXPOSE 8080
# The runtime image has no curl: sfstub asks its own /readyz (on loopback, the port of
# SFSTUB_LISTEN) and exits 0 when it answers 200.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["sfstub", "healthcheck"]
# docker stop sends SIGTERM; sfstub drains open connections and exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["sfstub"]
CMD ["serve"]
