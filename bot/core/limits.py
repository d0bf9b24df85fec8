"""Discord's limits on what a bot sends, in one place (https://discord.com/developers/docs/resources/message,
.../channel#embed-limits, .../interactions/application-commands, .../resources/poll)."""

MESSAGE_CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR_NAME = 256
EMBEDS_TOTAL = 6000  # all the embeds of one message together
EMBEDS_PER_MESSAGE = 10
BUTTON_LABEL = 80
CHOICE_NAME = 100
CHOICES = 25
WEBHOOK_NAME = 80
THREAD_NAME = 100
