/** Moved to tests/db/helpers/ (it opens PGlite, so its tests belong to the db tier); import it from there. */
export * from '../../../db/helpers/model-library-fixture';
