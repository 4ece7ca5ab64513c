"""Adopting an existing Salt repository (`saltline init`): what it holds, and the
saltline.yml that tests it."""
