"""The operator's console (issue 12): server-rendered pages under /console/ over the same
operations as the CLI and the admin API, signed in with an operator token (a session cookie,
CSRF-checked forms). No JavaScript and no build step: Jinja templates and one stylesheet."""
