"""Browser chat UI (Gradio). Imported only by `assistant ui`: gradio is heavy."""
