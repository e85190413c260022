"""Placeholder app module: replaced by the real pages shortly."""

import reflex as rx


def index() -> rx.Component:
    return rx.heading("AccountLink")


app = rx.App()
app.add_page(index, route="/")
