"""The Wagtail admin side of audio: editor views, the guide editor's audio tab, the report."""
