-- Run by Supabase's PostgreSQL image on first start (profile "supabase" in compose.yaml).
-- The image creates its service roles without passwords; Auth (GoTrue) logs in as supabase_auth_admin,
-- so each gets POSTGRES_PASSWORD, which the container also has as PGPASSWORD.
\getenv service_password PGPASSWORD
ALTER ROLE supabase_admin PASSWORD :'service_password';
ALTER ROLE supabase_auth_admin PASSWORD :'service_password';
ALTER ROLE authenticator PASSWORD :'service_password';
