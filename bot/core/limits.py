"""Discord's limits on what a bot sends, in one place (https://discord.com/developers/docs/resources/message,
.../channel#embed-limits, .../interactions/application-commands, .../resources/poll)."""

MESSAGE_CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELD_VALUE = 1024
EMBEDS_TOTAL = 6000  # all the embeds of one message together
EMBEDS_PER_MESSAGE = 10
CHOICE_NAME = 100
CHOICES = 25
WEBHOOK_NAME = 80
