-- AssumeRole's session tags (JSON: {"tags": {key: value}, "transitive": [key]}); NULL for a
-- session without any. What `aws:PrincipalTag/*` reads on every request signed with them, and
-- what passes on (the transitive keys) when the session assumes another role.
ALTER TABLE sessions ADD COLUMN session_tags TEXT;
