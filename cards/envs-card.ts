import type { Inventory } from '../src/core/inventory.js';
import { adaptiveCard, table, text, title, type CardMessage } from './card-kit.js';

export function envsCard(inventory: Inventory, visible: string[]): CardMessage {
  if (visible.length === 0) {
    return { text: 'You may not see any environment.', card: adaptiveCard([...title('Environments'), text('You may not see any environment. Ask an admin to add you to `access:` in the config.')]) };
  }
  const rows = visible.map((name) => {
    const e = inventory[name]!;
    return [name, e.client ?? '', Object.keys(e.tiers).join(', ') || '–', Object.keys(e.databases).join(', ') || '–', e.tags.prod === true ? 'prod' : ''];
  });
  return {
    text: `Environments: ${visible.join(', ')}`,
    card: adaptiveCard([...title('Environments', 'The ones you may see.'), table(['Env', 'Client', 'Tiers', 'Databases', ''], rows)]),
  };
}
