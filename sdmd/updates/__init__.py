"""The update cycle: check a service's images against their registries without pulling, follow x-sdmd tag
policies (a commit of compose.yaml), pull and recreate what changed, gate on health, roll back.

Kept apart from sdmd/schedules because it runs without any schedule too (`POST
/api/services/{id}/update`), and it is the part that talks to Docker; schedules only decide when.
"""
