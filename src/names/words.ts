// Friendly, short, unambiguous words. Both lists are part of the look of spark names.
export const ADJECTIVES = [
  'agile', 'amber', 'ample', 'azure', 'bold', 'brave', 'breezy', 'bright', 'brisk', 'bubbly',
  'calm', 'candid', 'cheery', 'chill', 'clever', 'cosmic', 'cozy', 'crisp', 'curious', 'daring',
  'dapper', 'dazzling', 'eager', 'earnest', 'easy', 'electric', 'elegant', 'epic', 'fair', 'fancy',
  'fearless', 'festive', 'fluffy', 'fresh', 'friendly', 'frosty', 'gentle', 'giant', 'gleaming', 'glad',
  'golden', 'graceful', 'grand', 'happy', 'hardy', 'hearty', 'honest', 'humble', 'jolly', 'jovial',
  'joyful', 'keen', 'kind', 'lively', 'loyal', 'lucky', 'lunar', 'magic', 'mellow', 'merry',
  'mighty', 'misty', 'modest', 'neat', 'nimble', 'noble', 'polar', 'polite', 'proud', 'quick',
  'quiet', 'radiant', 'rapid', 'ready', 'regal', 'rosy', 'rustic', 'shiny', 'silent', 'silver',
  'sleek', 'smart', 'snappy', 'snowy', 'solar', 'sonic', 'sparkly', 'spry', 'steady', 'sunny',
  'super', 'swift', 'tidy', 'tranquil', 'trusty', 'upbeat', 'vivid', 'warm', 'whimsical', 'wise',
  'witty', 'zesty', 'zippy', 'velvet', 'valiant',
] as const;

export const NOUNS = [
  'albatross', 'alpaca', 'antelope', 'badger', 'beaver', 'bison', 'bobcat', 'buffalo', 'camel', 'capybara',
  'cardinal', 'caribou', 'cheetah', 'chipmunk', 'cobra', 'condor', 'cougar', 'coyote', 'crane', 'cricket',
  'dingo', 'dolphin', 'dove', 'dragonfly', 'eagle', 'egret', 'elk', 'falcon', 'ferret', 'finch',
  'firefly', 'flamingo', 'fox', 'gazelle', 'gecko', 'gibbon', 'giraffe', 'gopher', 'gorilla', 'grouse',
  'hamster', 'hare', 'hawk', 'hedgehog', 'heron', 'hippo', 'hornet', 'husky', 'ibis', 'iguana',
  'impala', 'jackal', 'jaguar', 'kestrel', 'kiwi', 'koala', 'lemur', 'leopard', 'lion', 'llama',
  'lobster', 'lynx', 'macaw', 'magpie', 'manatee', 'marmot', 'meerkat', 'mink', 'moose', 'narwhal',
  'newt', 'ocelot', 'octopus', 'orca', 'osprey', 'otter', 'owl', 'panda', 'panther', 'parrot',
  'pelican', 'penguin', 'puffin', 'puma', 'quail', 'rabbit', 'raccoon', 'raven', 'robin', 'salmon',
  'seal', 'shark', 'sparrow', 'squid', 'stork', 'swan', 'tapir', 'tiger', 'toucan', 'turtle',
  'walrus', 'wombat', 'wolf', 'yak', 'zebra',
] as const;
