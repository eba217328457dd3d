import path from 'node:path';

/** Folder of this package (holds pom.xml and the Java source). */
export const packageDir = path.resolve(import.meta.dirname, '..');

/** The shaded jar that `mvn package` writes (rewritten in place by every build). */
export const jarPath = path.join(packageDir, 'target', 'mongo-standin.jar');

/**
 * The copy JVMs run from. A JVM loads classes from its jar lazily, so rewriting the jar under a
 * running stand-in breaks it (NoClassDefFoundError, dropped connections). This copy is only ever
 * replaced by an atomic rename: running JVMs keep the file they opened.
 */
export const runJarPath = path.join(packageDir, 'target', 'mongo-standin-run.jar');
