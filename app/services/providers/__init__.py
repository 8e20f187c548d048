"""Visual providers (issue 18): where a scene's picture comes from (`--visuals`).

chain = parse_visuals("local:./pics,slides", trust, settings)  # checked where options enter
provided = await VisualProviders(images, settings).apply(plan, options.visuals, frame, workdir)
provided.plan      # scenes with pictures: image_text / full_image
provided.made_by   # the provider of each scene ('slides', 'local', ...)
"""

from app.services.providers.credits import credit_cards
from app.services.providers.keywords import scene_keywords
from app.services.providers.service import ProvidedPlan, VisualProviders, takes_picture
from app.services.providers.spec import VisualSpec, parse_visuals

__all__ = [
    "ProvidedPlan",
    "VisualProviders",
    "VisualSpec",
    "credit_cards",
    "parse_visuals",
    "scene_keywords",
    "takes_picture",
]
