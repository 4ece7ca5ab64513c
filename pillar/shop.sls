# The shop: a site (web minions) and its database (db minions), in every environment.
nginx:
  site:
    name: shop
    title: The saltline shop

postgres:
  databases:
    shop:
      owner: shop
  hba:
    - database: shop
      user: shop
      clients: [web1]   # minion ids (resolved when the state runs) or CIDRs

webapp:
  database:
    host: db1
    port: 5432
    name: shop
    user: shop
