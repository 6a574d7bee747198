# Supabase-mode fixtures (the GoTrue contract double) shared with tests/auth.
from tests.auth.conftest import make_gotrue, make_supabase_client  # noqa: F401
