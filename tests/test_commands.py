"""The slash commands as Discord lists them: every command and every option says what it is for."""

from __future__ import annotations


async def test_every_command_and_option_has_a_description(world):
    tree = world.env.bot.tree
    missing = []
    for command in tree.get_commands():
        payload = command.to_dict(tree)
        stack = [(payload["name"], payload)]
        while stack:
            path, node = stack.pop()
            if not node.get("description") or node["description"] == "…":
                missing.append(path)
            for option in node.get("options", []):
                stack.append((f"{path} {option['name']}", option))
    assert missing == []


async def test_the_command_set(world):
    names = sorted(f"{c.name} {s.name}" for c in world.env.bot.tree.get_commands() for s in c.commands)
    assert names == [
        "article post",
        "config reset", "config set", "config show", "config words",
        "discuss close", "discuss forget-me", "discuss start", "discuss status",
        "poll ask", "poll best", "poll comment", "poll end", "poll list", "poll results",
        "replay next", "replay pause", "replay resume", "replay start", "replay status", "replay stop",
        "thread export", "thread info", "thread list", "thread search", "thread stats",
    ]
