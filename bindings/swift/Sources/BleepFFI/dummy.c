/* Placeholder so SwiftPM builds the header-only C module. */
