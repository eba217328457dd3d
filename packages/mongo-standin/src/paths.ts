import path from 'node:path';

/** Folder of this package (holds pom.xml and the Java source). */
export const packageDir = path.resolve(import.meta.dirname, '..');

/** The shaded jar that `mvn package` writes. */
export const jarPath = path.join(packageDir, 'target', 'mongo-standin.jar');
