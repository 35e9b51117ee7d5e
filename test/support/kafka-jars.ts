import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const POM = join(import.meta.dirname, '../kafka/pom.xml');
const JARS = join(import.meta.dirname, '../kafka/target/dependency');

/**
 * vitest global setup: a fresh clone has no Kafka jars (test/kafka/target is not in git), so `npm test` fetches
 * them once with Maven (cached in ~/.m2) before the Kafka tests start their cluster. Without `mvn` nothing is
 * fetched and those tests fail saying how to get the jars (test/support/kafka-cluster.ts).
 */
export default function setup(): void {
  if (existsSync(JARS) && readdirSync(JARS).some((f) => /^kafka_2\.13-4\..*\.jar$/.test(f))) return;
  try {
    execFileSync('sh', ['-c', 'command -v mvn'], { stdio: 'ignore' });
  } catch {
    return;
  }
  process.stdout.write('Fetching the Kafka jars for the Kafka tests (mvn -q -f test/kafka/pom.xml dependency:copy-dependencies)\n');
  execFileSync('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies'], { stdio: ['ignore', 'inherit', 'inherit'] });
}
