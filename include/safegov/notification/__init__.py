"""Notification: the outbox, reminders, mail delivery and templates."""
