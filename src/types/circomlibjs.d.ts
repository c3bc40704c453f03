// circomlibjs ships no type declarations; it is used as an untyped module.
declare module 'circomlibjs';
