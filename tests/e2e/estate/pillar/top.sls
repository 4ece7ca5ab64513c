dev:
  '*':
    - common
