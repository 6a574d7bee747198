-- Run on first start: the token lifetime Supabase's SQL functions read (JWT_EXPIRY in .env).
\getenv token_lifetime JWT_EXP
ALTER DATABASE postgres SET "app.settings.jwt_exp" TO :'token_lifetime';
