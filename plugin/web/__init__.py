"""`modelmath web`: quote, chat and calculator pages for support teams (Starlette + uvicorn, no front-end build)."""
