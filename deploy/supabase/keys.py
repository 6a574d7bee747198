"""Prints fresh secrets for the Supabase block of .env: a JWT secret, the anon and service_role API keys
signed with it (HS256, as Supabase's self-hosting guide makes them), and a database password.

    docker compose run --rm --no-deps -T sdmd python - < deploy/supabase/keys.py >> .env
"""

import secrets
import time

import jwt

TEN_YEARS = 10 * 365 * 24 * 3600

jwt_secret = secrets.token_urlsafe(48)
now = int(time.time())
print(f"POSTGRES_PASSWORD={secrets.token_urlsafe(24)}")
print(f"JWT_SECRET={jwt_secret}")
for name, role in (("ANON_KEY", "anon"), ("SERVICE_ROLE_KEY", "service_role")):
    claims = {"role": role, "iss": "supabase", "iat": now, "exp": now + TEN_YEARS}
    print(f"{name}={jwt.encode(claims, jwt_secret, algorithm='HS256')}")
