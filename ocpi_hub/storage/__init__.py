"""PostgreSQL storage: the pool, migrations, and one repository per aggregate."""

import asyncpg

# What repositories take: a connection that can open a transaction, or anything that can run a
# statement (a pool runs each one on a connection of its own).
Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
Executor = Connection | asyncpg.Pool
